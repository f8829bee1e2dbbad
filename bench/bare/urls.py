from django.urls import path

from bench.bare.views import ItemDetail, ItemList

urlpatterns = [
    path("items/", ItemList.as_view()),
    path("items/<int:pk>/", ItemDetail.as_view()),
]
