from django.urls import path

from messaging import views

app_name = "messaging"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("unread-count/", views.unread_badge, name="unread_count"),
    path("<int:pk>/read/", views.message_action, {"action": "read"}, name="read"),
    path("<int:pk>/accept/", views.message_action, {"action": "accept"}, name="accept"),
    path("<int:pk>/decline/", views.message_action, {"action": "decline"}, name="decline"),
    path("<int:pk>/withdraw/", views.message_action, {"action": "withdraw"}, name="withdraw"),
    path("<int:pk>/seen/", views.message_action, {"action": "seen"}, name="seen"),
]
