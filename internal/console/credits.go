package console

// creditRoutes registers the credits pages.
func (c *Console) creditRoutes() {}
