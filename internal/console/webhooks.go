package console

// webhookRoutes registers the webhooks pages.
func (c *Console) webhookRoutes() {}
