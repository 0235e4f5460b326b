package console

// keyRoutes registers the keys pages.
func (c *Console) keyRoutes() {}
