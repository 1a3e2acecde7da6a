"""The annual monitoring report for the signatories of the "Lucca per il lavoro" protocol."""
