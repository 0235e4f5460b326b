package client

import (
	"context"
	"net/http"

	"github.com/naive-oss/naive/internal/naive"
)

// GetCampaignContent returns what the subject's 10DLC campaign submits
// (GET …/campaign-content).
func (c *Client) GetCampaignContent(ctx context.Context, subjectID string) (*naive.CampaignContent, error) {
	return call[naive.CampaignContent](ctx, c, request{method: http.MethodGet, path: subjectPath(subjectID, "/campaign-content")})
}

// UpdateCampaignContent changes the subject's campaign content
// (PATCH …/campaign-content).
func (c *Client) UpdateCampaignContent(ctx context.Context, subjectID string, patch naive.CampaignContentPatch) (*naive.CampaignContent, error) {
	return call[naive.CampaignContent](ctx, c, request{method: http.MethodPatch, path: subjectPath(subjectID, "/campaign-content"), body: patch})
}
