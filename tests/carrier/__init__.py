"""A local fake of a tracking aggregator (AfterShip Tracking API 2024-04) for tests."""
