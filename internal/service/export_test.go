package service

import "time"

// SetCarrierCheckTimeout sets the bound of a status check's carrier
// request for one test; restore puts the default back.
func SetCarrierCheckTimeout(d time.Duration) (restore func()) {
	old := carrierCheckTimeout
	carrierCheckTimeout = d
	return func() { carrierCheckTimeout = old }
}
