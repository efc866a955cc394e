# The CRM JSON API lands with the CRM issue.
urlpatterns: list = []
