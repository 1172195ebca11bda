"""Query functions named for what they do; each takes the scope or owner it filters by."""
