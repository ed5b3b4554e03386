"""Learning platforms: rosters and the names each platform gives to hand-ins and imports."""
