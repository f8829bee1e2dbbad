from django.urls import path

from queries import views

app_name = "queries"

urlpatterns = [
    path("queries/", views.query_list, name="list"),
    path("queries/new/", views.query_raise, name="raise"),
    path("queries/<int:pk>/answer/", views.query_answer, name="answer"),
    path("queries/<int:pk>/close/", views.query_close, name="close"),
]
