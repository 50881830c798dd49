#!/usr/bin/python3
# Copied from the team's shared tools (shared/tools/sni_watcher.py) so the repository is self-contained.
"""Minimal org.kde.StatusNotifierWatcher (+ fake host) for headless tray verification.
Logs every RegisterStatusNotifierItem call, then introspects the item and its dbusmenu.
Run inside the same session bus as the app (dbus-run-session)."""
import os, sys, json, shutil, dbus, dbus.service, dbus.mainloop.glib
from gi.repository import GLib

dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
bus = dbus.SessionBus()
IFACE = "org.kde.StatusNotifierWatcher"
log = open(sys.argv[1] if len(sys.argv) > 1 else "/dev/stdout", "a", buffering=1)

# Tokenburn additions: the item is dumped again whenever it signals a change (a new icon,
# title, status or tooltip, a menu layout or item update), and each icon file it names is
# copied next to the log (ICON_COPY), since the app deletes it when it sets the next one.
dumps = [0]
pending = {}
subscribed = set()

def icon_copy(props):
    name = str(props.get("IconName", ""))
    if name.startswith("/") and os.path.isfile(name) and log.name != "/dev/stdout":
        dumps[0] += 1
        copy = "%s.icon-%d.png" % (log.name, dumps[0])
        shutil.copyfile(name, copy)
        log.write("ICON_COPY %s\n" % copy)

def redump_later(service, path):
    if pending.get((service, path)):
        return
    def run():
        pending[(service, path)] = None
        dump_item(service, path)
        return False
    pending[(service, path)] = GLib.timeout_add(300, run)

def subscribe(service, path, menu_path):
    if (service, path) in subscribed:
        return
    subscribed.add((service, path))
    for sig in ("NewIcon", "NewTitle", "NewStatus", "NewToolTip"):
        bus.add_signal_receiver(lambda *a: redump_later(service, path), signal_name=sig,
                                dbus_interface="org.kde.StatusNotifierItem", bus_name=service, path=path)
    for sig in ("LayoutUpdated", "ItemsPropertiesUpdated"):
        bus.add_signal_receiver(lambda *a: redump_later(service, path), signal_name=sig,
                                dbus_interface="com.canonical.dbusmenu", bus_name=service, path=menu_path)

def dump_item(service, path):
    try:
        obj = bus.get_object(service, path)
        props = dbus.Interface(obj, "org.freedesktop.DBus.Properties").GetAll("org.kde.StatusNotifierItem")
        info = {k: str(v) for k, v in props.items() if k in ("Id", "Title", "Status", "Category", "IconName", "IconThemePath", "Menu")}
        log.write("ITEM_PROPS %s\n" % json.dumps(info))
        icon_copy(props)
        if props.get("Menu"):
            subscribe(service, path, str(props.get("Menu")))
        menu_path = props.get("Menu")
        if menu_path:
            m = bus.get_object(service, menu_path)
            rev, layout = dbus.Interface(m, "com.canonical.dbusmenu").GetLayout(0, -1, ["label", "type", "enabled"])
            labels = [str(ch[1].get("label", "")) for ch in layout[2]]
            ids = [int(ch[0]) for ch in layout[2]]
            log.write("MENU_ITEMS %s ids=%s\n" % (json.dumps(labels), ids))
            click = os.environ.get("SNI_CLICK_LABEL")
            if click and click in labels and not clicked:
                clicked.append(click)
                def do_click():
                    # The item's id is looked up when clicking: the app may have rebuilt its menu.
                    try:
                        _, now = dbus.Interface(m, "com.canonical.dbusmenu").GetLayout(0, -1, ["label"])
                        found = [int(ch[0]) for ch in now[2] if str(ch[1].get("label", "")) == click]
                        mid = found[0] if found else ids[labels.index(click)]
                        dbus.Interface(m, "com.canonical.dbusmenu").Event(
                            dbus.Int32(mid), "clicked", dbus.Int32(0, variant_level=1), dbus.UInt32(0))
                        log.write("MENU_CLICKED %s id=%d\n" % (click, mid))
                    except Exception as e:
                        log.write("CLICK_ERROR %r\n" % e)
                    return False
                # Tokenburn addition: SNI_CLICK_DELAY_MS lets the app's UI come up first.
                GLib.timeout_add(int(os.environ.get("SNI_CLICK_DELAY_MS", "0")), do_click)
    except Exception as e:
        log.write("DUMP_ERROR %r\n" % e)

clicked = []

class Watcher(dbus.service.Object):
    def __init__(self):
        self.items = []
        dbus.service.Object.__init__(self, bus, "/StatusNotifierWatcher")

    @dbus.service.method(IFACE, in_signature="s", out_signature="", sender_keyword="sender")
    def RegisterStatusNotifierItem(self, service, sender=None):
        path = "/StatusNotifierItem"
        if service.startswith("/"):
            path, service = service, sender
        full = "%s%s" % (service, path)
        self.items.append(full)
        log.write("REGISTERED_ITEM service=%s path=%s sender=%s\n" % (service, path, sender))
        self.StatusNotifierItemRegistered(full)
        GLib.timeout_add(1500, lambda: (dump_item(service, path), False)[1])

    @dbus.service.method(IFACE, in_signature="s", out_signature="")
    def RegisterStatusNotifierHost(self, service):
        log.write("REGISTERED_HOST %s\n" % service)

    @dbus.service.signal(IFACE, signature="s")
    def StatusNotifierItemRegistered(self, s): pass

    @dbus.service.signal(IFACE, signature="s")
    def StatusNotifierItemUnregistered(self, s): pass

    @dbus.service.signal(IFACE, signature="")
    def StatusNotifierHostRegistered(self): pass

    @dbus.service.method("org.freedesktop.DBus.Properties", in_signature="ss", out_signature="v")
    def Get(self, iface, prop):
        return self.GetAll(iface)[prop]

    @dbus.service.method("org.freedesktop.DBus.Properties", in_signature="s", out_signature="a{sv}")
    def GetAll(self, iface):
        return {"RegisteredStatusNotifierItems": dbus.Array(self.items, signature="s"),
                "IsStatusNotifierHostRegistered": dbus.Boolean(True),
                "ProtocolVersion": dbus.Int32(0)}

w = Watcher()
bus.request_name(IFACE)
bus.request_name("org.kde.StatusNotifierHost-%d" % 1)
log.write("WATCHER_READY\n")
GLib.MainLoop().run()
