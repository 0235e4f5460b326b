package console

// subjectRoutes registers the subjects pages.
func (c *Console) subjectRoutes() {}
