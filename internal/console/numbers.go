package console

// numberRoutes registers the numbers pages.
func (c *Console) numberRoutes() {}
