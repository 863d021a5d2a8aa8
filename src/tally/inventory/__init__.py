"""Master data being counted: accounts, warehouses, locations, products, reason codes, stock and the ledger."""
