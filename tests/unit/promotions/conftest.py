"""The customer use cases' fixtures (a shop over the fakes, Ada and Bob, tea and a mug)."""

from tests.unit.checkout.test_shop import clock, mug, shop, store, tea, uow  # noqa: F401
