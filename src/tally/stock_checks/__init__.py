"""The counting domain: stock checks, their records (one per stock group) and attempts."""
