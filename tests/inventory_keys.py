"""The keys issue 3 fixes for ``seatwise inventory products --json`` and ``inventory
accounts --json`` (and the REST lists of the same names): acceptance compares by them."""

PRODUCT_KEYS = {
    "connector", "external_id", "sku", "name", "seats_purchased", "seats_consumed",
    "seats_assigned", "seats_active",
}  # fmt: skip
ACCOUNT_KEYS = {
    "connector", "external_id", "email", "display_name", "status", "is_guest",
    "last_active_at", "products",
}  # fmt: skip
