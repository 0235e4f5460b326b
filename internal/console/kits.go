package console

// kitRoutes registers the kits pages.
func (c *Console) kitRoutes() {}
