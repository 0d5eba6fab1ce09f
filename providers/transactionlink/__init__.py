"""TransactionLink (Workflows API): KYC/KYB screening run before a participant is invited."""
