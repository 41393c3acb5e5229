package explore

// projection collects, per endpoint, the abstract transitions taken.
type projection struct{}
