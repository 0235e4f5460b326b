package console

// eventRoutes registers the events pages.
func (c *Console) eventRoutes() {}
