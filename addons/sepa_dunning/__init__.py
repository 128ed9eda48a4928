# The models arrive with their own issues; the addon installs empty until then.
