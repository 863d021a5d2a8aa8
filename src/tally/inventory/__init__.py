"""Master data being counted (accounts, warehouses, locations, products, reason codes), stock, the ledger."""
