#!/usr/bin/python3
"""A stand-in org.freedesktop.Notifications server for headless tests: owns the name on the
session bus (run it inside the same dbus-run-session as the app, before the app), answers
like a real server, and logs every Notify call as one line of JSON:

    NOTIFY {"app_name": ..., "summary": ..., "body": ..., "id": N}

Usage: notify_server.py LOGFILE   (python3-dbus + python3-gi; `READY` is logged once the
name is owned). A notification is closed (NotificationClosed, reason 1: expired) after a
second, as a real server's popup would, so the sender's tracking of it ends."""
import json
import sys

import dbus
import dbus.mainloop.glib
import dbus.service
from gi.repository import GLib

IFACE = "org.freedesktop.Notifications"
PATH = "/org/freedesktop/Notifications"

dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
bus = dbus.SessionBus()
log = open(sys.argv[1] if len(sys.argv) > 1 else "/dev/stdout", "a", buffering=1)


class Server(dbus.service.Object):
    def __init__(self):
        dbus.service.Object.__init__(self, bus, PATH)
        self.next_id = 1

    @dbus.service.method(IFACE, in_signature="susssasa{sv}i", out_signature="u")
    def Notify(self, app_name, replaces_id, app_icon, summary, body, actions, hints, timeout):
        nid = int(replaces_id) or self.next_id
        self.next_id = max(self.next_id, nid) + 1
        entry = {"app_name": str(app_name), "summary": str(summary), "body": str(body), "id": nid}
        log.write("NOTIFY %s\n" % json.dumps(entry))
        GLib.timeout_add(1000, lambda: (self.NotificationClosed(dbus.UInt32(nid), dbus.UInt32(1)), False)[1])
        return dbus.UInt32(nid)

    @dbus.service.method(IFACE, in_signature="u", out_signature="")
    def CloseNotification(self, nid):
        self.NotificationClosed(nid, dbus.UInt32(3))

    @dbus.service.method(IFACE, in_signature="", out_signature="as")
    def GetCapabilities(self):
        return dbus.Array(["body", "actions"], signature="s")

    @dbus.service.method(IFACE, in_signature="", out_signature="ssss")
    def GetServerInformation(self):
        return ("tokenburn-test-notifications", "tokenburn", "1.0", "1.2")

    @dbus.service.signal(IFACE, signature="uu")
    def NotificationClosed(self, nid, reason):
        pass

    @dbus.service.signal(IFACE, signature="us")
    def ActionInvoked(self, nid, action_key):
        pass


server = Server()
bus.request_name(IFACE, dbus.bus.NAME_FLAG_DO_NOT_QUEUE)
log.write("READY\n")
GLib.MainLoop().run()
