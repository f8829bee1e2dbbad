"""The framework's ceiling: DRF's generic list and detail views over one plain table.

Two of each: without authentication (``open/items/``, the baseline the registry's ratios
are taken against) and with DRF's token authentication (``items/``, the second column:
what authenticating a request costs the framework itself).
"""

from rest_framework import generics, permissions, serializers

from bench.bare.models import Item


class ItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = Item
        fields = "__all__"


class ItemList(generics.ListAPIView):
    queryset = Item.objects.all()
    serializer_class = ItemSerializer


class ItemDetail(generics.RetrieveAPIView):
    queryset = Item.objects.all()
    serializer_class = ItemSerializer


class OpenItemList(ItemList):
    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]


class OpenItemDetail(ItemDetail):
    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]
