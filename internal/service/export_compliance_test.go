package service

import "time"

// HTTPPages is the default page fetcher without its cache.
var HTTPPages PageFetcher = httpPages{}

// NewPageCache is the default fetcher's cache around next.
func NewPageCache(next PageFetcher, ttl time.Duration) PageFetcher { return newPageCache(next, ttl) }

// BrandName is the name the samples_name_brand rule looks for.
var BrandName = brandName
