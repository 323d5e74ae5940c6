"""A local simulated bank (issue 16 point 4): an outside payment site living in
the same process, for the demo and the tests. It is reached the way a real
provider is — the parent is redirected to it, comes back, and the bank notifies
the portal server to server — and answers paid, refused or abandoned. It never
imports the portal's billing: it speaks to it by HTTP, like a bank."""
