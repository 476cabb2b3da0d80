"""Usage and spend: the ledger applications write (ledger, events), the usage book it fills
(book), prices from the catalog (pricing), the fleet file (fleet), budgets and their forecasts
(budgets), savings recommendations (recommend), and the job the engine runs to keep them
current (job)."""
