"""Usage and spend: the ledger applications write (ledger, events), the usage feeds gateways
already keep (feeds), the usage book they fill (book), prices from the catalog (pricing), the
fleet file (fleetfile), budgets and their forecasts (budgets), savings recommendations
(recommend), the usage run that keeps them current (job) and the runner that schedules runs and
feed reads (runner)."""
