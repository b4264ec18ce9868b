"""The console's icons: simple monochrome SVGs in resources/icons, drawn in the palette's text colour so
they follow the light or dark theme (the window asks again when the palette changes). Each is Qt's SVG icon
engine over a tinted copy (gui.tinted): rendered at the sizes it is painted at, when it is painted."""

from __future__ import annotations

from functools import cache

from PySide6.QtGui import QGuiApplication, QIcon, QPalette

from yespo_console.gui.tinted import tinted_copy, tinted_svg_bytes

EVENT_ICONS = {
    "pageViewed": "event-page", "productViewed": "event-product", "productCategoryViewed": "event-category",
    "cartUpdated": "event-cart", "productImpressions": "event-impressions",
    "productAddedToWishlist": "event-wishlist", "searchRequest": "event-search", "orderCreated": "event-order",
    "orderUpdated": "event-order-updated", "orderDelivered": "event-order-delivered",
    "orderCancelled": "event-order-cancelled",
    # The web tracking events (core.events.tracker_catalog), drawn like their Generate event counterparts.
    "ProductPage": "event-product", "StatusCart": "event-cart", "AddToWishlist": "event-wishlist",
    "PurchasedItems": "event-order", "ProductImpressions": "event-impressions", "CategoryPage": "event-category",
    "SearchRequest": "event-search", "ProductUpdate": "event-order-updated", "CustomerData": "event-page",
}


@cache
def _icon(name: str, color: str) -> QIcon:
    path = tinted_copy(name, color)
    return QIcon(str(path)) if path is not None else _drawn(name, color)


def _drawn(name: str, color: str) -> QIcon:
    """Where no tinted copy can be written (no temporary folder): the icon drawn now, at the sizes a toolbar and a
    list ask for, so that it keeps the theme's colour."""
    from PySide6.QtCore import QByteArray, QSize, Qt
    from PySide6.QtGui import QPainter, QPixmap
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(QByteArray(tinted_svg_bytes(name, color)))
    app = QGuiApplication.instance()
    ratio = app.devicePixelRatio() if isinstance(app, QGuiApplication) else 1.0
    icon = QIcon()
    for size in (16, 20, 24, 32):
        pixmap = QPixmap(QSize(size, size) * ratio)
        pixmap.setDevicePixelRatio(ratio)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        renderer.render(painter)
        painter.end()
        icon.addPixmap(pixmap)
    return icon


def icon(name: str, role: QPalette.ColorRole = QPalette.ColorRole.WindowText) -> QIcon:
    """The named icon in the colour of a palette role now."""
    return _icon(name, QGuiApplication.palette().color(role).name())


def event_icon(key: str) -> QIcon:
    """An event type's icon; an account's own types and custom events share the braces."""
    return icon(EVENT_ICONS.get(key, "event-custom"))
