package console

// agentRoutes registers the agents pages.
func (c *Console) agentRoutes() {}
