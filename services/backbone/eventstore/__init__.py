"""Each service's append-only log: the application base, stores, hash chain, views, audit."""
