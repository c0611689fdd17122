"""HTTP and RPC entrypoints: tokens, authorisation, JSON errors, paging."""
