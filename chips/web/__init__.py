"""The HTTP layer of the chips app: the raw chip API, the composite pages, /dump/, URLs
and the parameter serializers. The top of the app: nothing below imports it."""
