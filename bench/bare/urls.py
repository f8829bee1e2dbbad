from django.urls import path

from bench.bare.views import ItemDetail, ItemList, OpenItemDetail, OpenItemList

urlpatterns = [
    path("items/", ItemList.as_view()),
    path("items/<int:pk>/", ItemDetail.as_view()),
    path("open/items/", OpenItemList.as_view()),
    path("open/items/<int:pk>/", OpenItemDetail.as_view()),
]
