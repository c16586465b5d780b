#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Tests of scripts/vmbus-devbind against a fake sysfs tree.

A small "kernel" thread reacts to writes into the fake bind/unbind files
the way the vmbus core does: it moves the driver symlink and creates or
removes the uio and net children. A fake `ip` on PATH reports addresses
and records `ip link set` calls, so nothing touches the real machine.
"""

import contextlib
import importlib.machinery
import importlib.util
import io
import json
import os
import shutil
import sys
import tempfile
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
TOOL = os.path.join(HERE, "..", "..", "scripts", "vmbus-devbind")

loader = importlib.machinery.SourceFileLoader("vmbus_devbind", TOOL)
spec = importlib.util.spec_from_loader("vmbus_devbind", loader)
devbind = importlib.util.module_from_spec(spec)
loader.exec_module(devbind)

NET = "f8615163-df3e-46c5-913f-f2d2f965ed0e"
OTHER_CLASS = "ba6163d9-04a1-4d29-b605-72e2ffb1dc7f"  # a storage controller
MGMT = "000d3a00-0000-0000-0000-000000000001"
DATA = "000d3a00-0000-0000-0000-000000000002"
DISK = "000d3a00-0000-0000-0000-0000000000d1"
OURS = "uio_hv_vmbus"
PARAM = "sys/module/uio_hv_vmbus/parameters/devices"


class FakeKernel:
    """Fake sysfs + a thread that plays the kernel's part of binding."""

    def __init__(self, root):
        self.root = root
        self.stop = threading.Event()
        self.ifindex = {MGMT: "eth0", DATA: "eth1"}
        self.new_ids = []
        self.thread = threading.Thread(target=self.run, daemon=True)

    def p(self, *parts):
        return os.path.join(self.root, *[x.lstrip("/") for x in parts])

    def write(self, path, text):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)

    def add_device(self, guid, cls, driver=None, mac=None):
        d = self.p("sys/bus/vmbus/devices", guid)
        os.makedirs(d)
        self.write(os.path.join(d, "class_id"), "{%s}\n" % cls)
        self.write(os.path.join(d, "device_id"), "{%s}\n" % guid)
        self.write(os.path.join(d, "driver_override"), "\n")
        if driver:
            self.attach(guid, driver)
        if mac:
            self.write(self.p("sys/class/net", self.ifindex[guid], "address"), mac + "\n")

    def setup(self):
        for drv in ("hv_netvsc", "uio_hv_generic", "hv_storvsc", OURS):
            for f in ("bind", "unbind", "new_id"):
                self.write(self.p("sys/bus/vmbus/drivers", drv, f), "")
        # A loaded uio_hv_vmbus with an unset charp parameter.
        self.write(self.p(PARAM), "(null)\n")
        os.makedirs(self.p("dev"))
        self.add_device(MGMT, NET, "hv_netvsc", "00:15:5d:00:00:01")
        self.add_device(DATA, NET, "hv_netvsc", "00:15:5d:00:00:02")
        self.add_device(DISK, OTHER_CLASS, "hv_storvsc")
        self.write(self.p("proc/net/route"),
                   "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
                   "eth0\t00000000\t0101A8C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n"
                   "eth1\t0002A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n")
        self.thread.start()

    def attach(self, guid, driver):
        dev = self.p("sys/bus/vmbus/devices", guid)
        os.symlink(os.path.join("..", "..", "drivers", driver), os.path.join(dev, "driver"))
        if driver == "hv_netvsc":
            os.makedirs(os.path.join(dev, "net", self.ifindex[guid]))
        elif driver in ("uio_hv_generic", OURS):
            n = 0 if guid == MGMT else 1
            os.makedirs(os.path.join(dev, "uio", "uio%d" % n))
            self.write(self.p("dev", "uio%d" % n), "")

    def detach(self, guid):
        dev = self.p("sys/bus/vmbus/devices", guid)
        os.unlink(os.path.join(dev, "driver"))
        shutil.rmtree(os.path.join(dev, "net"), ignore_errors=True)
        for u in os.listdir(os.path.join(dev, "uio")) if os.path.isdir(os.path.join(dev, "uio")) else []:
            os.unlink(self.p("dev", u))
        shutil.rmtree(os.path.join(dev, "uio"), ignore_errors=True)

    def take(self, path):
        with open(path) as f:
            text = f.read().strip()
        if text:
            open(path, "w").close()
        return text

    def driver_of(self, guid):
        link = self.p("sys/bus/vmbus/devices", guid, "driver")
        return os.path.basename(os.readlink(link)) if os.path.islink(link) else None

    def ours_allows(self, guid):
        """uio_hv_vmbus's rule: only GUIDs named in its parameter."""
        with open(self.p(PARAM)) as f:
            return guid in f.read().replace("\n", ",").split(",")

    def step(self):
        for drv in ("hv_netvsc", "uio_hv_generic", OURS):
            base = self.p("sys/bus/vmbus/drivers", drv)
            guid = self.take(os.path.join(base, "unbind"))
            if guid and self.driver_of(guid) == drv:
                self.detach(guid)
            new_id = self.take(os.path.join(base, "new_id"))
            if new_id:
                self.new_ids.append((drv, new_id))
            guid = self.take(os.path.join(base, "bind"))
            if guid and self.driver_of(guid) is None and (
                    drv != OURS or self.ours_allows(guid)):
                self.attach(guid, drv)

    def run(self):
        while not self.stop.is_set():
            self.step()
            time.sleep(0.01)


class DevbindTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="devbind-")
        self.root = os.path.join(self.tmp, "root")
        os.makedirs(self.root)
        self.kernel = FakeKernel(self.root)
        self.kernel.setup()
        # Fake `ip`: addresses from JSON, `link set` calls logged.
        bindir = os.path.join(self.tmp, "bin")
        os.makedirs(bindir)
        self.iplog = os.path.join(self.tmp, "ip.log")
        addrs = [{"ifname": "eth0", "addr_info": [{"local": "192.168.1.4"}]},
                 {"ifname": "eth1", "addr_info": [{"local": "192.168.2.4"}]}]
        with open(os.path.join(bindir, "ip"), "w") as f:
            f.write("#!/bin/sh\n"
                    "if [ \"$1\" = -j ]; then echo '%s'; exit 0; fi\n"
                    "echo \"$@\" >> %s\n" % (json.dumps(addrs), self.iplog))
        os.chmod(os.path.join(bindir, "ip"), 0o755)
        self.env = {"PATH": bindir + os.pathsep + os.environ.get("PATH", ""),
                    "SSH_CONNECTION": None}
        self.saved = {k: os.environ.get(k) for k in self.env}
        os.environ["PATH"] = self.env["PATH"]
        os.environ.pop("SSH_CONNECTION", None)

    def tearDown(self):
        self.kernel.stop.set()
        self.kernel.thread.join()
        for k, v in self.saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        shutil.rmtree(self.tmp)

    def run_tool(self, *args):
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                rc = devbind.main(["--root", self.root, "--timeout", "5", *args])
            except SystemExit as e:
                rc = e.code
        return rc, out.getvalue(), err.getvalue()

    def test_status_lists_only_network_devices(self):
        rc, out, _ = self.run_tool("--status")
        self.assertEqual(rc, 0)
        self.assertIn(MGMT, out)
        self.assertIn(DATA, out)
        self.assertNotIn(DISK, out)
        self.assertIn("if=eth1 mac=00:15:5d:00:00:02 drv=hv_netvsc", out)

    def test_status_marks_default_route_and_ssh(self):
        os.environ["SSH_CONNECTION"] = "10.0.0.9 50000 192.168.2.4 22"
        rc, out, _ = self.run_tool("--status")
        self.assertEqual(rc, 0)
        lines = {l.split()[0]: l for l in out.splitlines() if l.startswith("  ")}
        self.assertIn("default route", lines[MGMT])
        self.assertNotIn("SSH", lines[MGMT])
        self.assertIn("SSH session", lines[DATA])

    def test_bind_uio_by_ifname(self):
        rc, out, err = self.run_tool("--bind", "uio_hv_generic", "eth1")
        self.assertEqual(rc, 0, err)
        self.assertEqual(self.kernel.driver_of(DATA), "uio_hv_generic")
        self.assertIn("/dev/uio1", out)
        self.assertIn(("uio_hv_generic", NET), self.kernel.new_ids)
        with open(os.path.join(self.root, "sys/bus/vmbus/devices", DATA, "driver_override")) as f:
            self.assertEqual(f.read(), "uio_hv_generic")
        with open(self.iplog) as f:
            self.assertIn("link set dev eth1 down", f.read())
        rc, out, _ = self.run_tool("--status")
        self.assertIn("bound to uio_hv_generic", out)
        self.assertIn("uio=uio1", out)

    def test_bind_refuses_default_route(self):
        rc, _, err = self.run_tool("--bind", "uio_hv_generic", "eth0")
        self.assertEqual(rc, 1)
        self.assertIn("default route", err)
        self.assertEqual(self.kernel.driver_of(MGMT), "hv_netvsc")

    def test_bind_refuses_ssh_interface(self):
        os.environ["SSH_CONNECTION"] = "10.0.0.9 50000 192.168.2.4 22"
        rc, _, err = self.run_tool("--bind", "uio_hv_generic", DATA)
        self.assertEqual(rc, 1)
        self.assertIn("SSH session", err)
        self.assertEqual(self.kernel.driver_of(DATA), "hv_netvsc")

    def test_force_overrides_refusal(self):
        rc, _, err = self.run_tool("--bind", "uio_hv_generic", "--force", "eth0")
        self.assertEqual(rc, 0, err)
        self.assertEqual(self.kernel.driver_of(MGMT), "uio_hv_generic")

    def test_round_trip_back_to_kernel(self):
        self.assertEqual(self.run_tool("--bind", "uio_hv_generic", DATA)[0], 0)
        rc, out, err = self.run_tool("--bind", "hv_netvsc", "{%s}" % DATA.upper())
        self.assertEqual(rc, 0, err)
        self.assertEqual(self.kernel.driver_of(DATA), "hv_netvsc")
        self.assertIn("eth1", out)
        self.assertFalse(os.path.exists(os.path.join(self.root, "dev/uio1")))

    def param(self):
        with open(os.path.join(self.root, PARAM)) as f:
            return f.read()

    def test_bind_our_module_names_the_guid(self):
        rc, out, err = self.run_tool("--bind", OURS, "eth1")
        self.assertEqual(rc, 0, err)
        self.assertEqual(self.kernel.driver_of(DATA), OURS)
        self.assertEqual(self.param(), DATA)
        self.assertEqual(self.kernel.new_ids, [])  # no new_id for ours
        self.assertIn("bound to uio_hv_vmbus as /dev/uio1", out)
        rc, out, _ = self.run_tool("--status")
        self.assertIn("VMBus network devices bound to uio_hv_vmbus", out)
        self.assertIn("drv=uio_hv_vmbus uio=uio1", out)

    def test_our_module_keeps_other_guids(self):
        with open(os.path.join(self.root, PARAM), "w") as f:
            f.write("11111111-2222-3333-4444-555555555555\n")
        self.assertEqual(self.run_tool("--bind", OURS, DATA)[0], 0)
        self.assertEqual(self.param(),
                         "11111111-2222-3333-4444-555555555555," + DATA)

    def test_our_module_refuses_default_route(self):
        rc, _, err = self.run_tool("--bind", OURS, "eth0")
        self.assertEqual(rc, 1)
        self.assertIn("default route", err)
        self.assertEqual(self.kernel.driver_of(MGMT), "hv_netvsc")
        self.assertEqual(self.param(), "(null)\n")

    def test_our_module_round_trip_drops_the_guid(self):
        self.assertEqual(self.run_tool("--bind", OURS, DATA)[0], 0)
        rc, _, err = self.run_tool("--bind", "hv_netvsc", DATA)
        self.assertEqual(rc, 0, err)
        self.assertEqual(self.kernel.driver_of(DATA), "hv_netvsc")
        self.assertEqual(self.param(), "\n")

    def test_bind_our_module_by_mac(self):
        rc, out, err = self.run_tool("--bind", OURS, "00:15:5D:00:00:02")
        self.assertEqual(rc, 0, err)
        self.assertEqual(self.kernel.driver_of(DATA), OURS)
        self.assertEqual(self.kernel.driver_of(MGMT), "hv_netvsc")
        self.assertEqual(self.param(), DATA)
        self.assertIn(f"{DATA} (eth1) bound to uio_hv_vmbus as /dev/uio1", out)

    def test_bind_by_mac_with_dashes(self):
        rc, _, err = self.run_tool("--bind", "uio_hv_generic", "00-15-5d-00-00-02")
        self.assertEqual(rc, 0, err)
        self.assertEqual(self.kernel.driver_of(DATA), "uio_hv_generic")

    def test_mac_of_management_nic_is_refused(self):
        rc, _, err = self.run_tool("--bind", OURS, "00:15:5d:00:00:01")
        self.assertEqual(rc, 1)
        self.assertIn(f"refusing to take eth0 ({MGMT})", err)
        self.assertIn("default route", err)
        self.assertEqual(self.kernel.driver_of(MGMT), "hv_netvsc")
        self.assertEqual(self.param(), "(null)\n")

    def test_unknown_mac_is_reported(self):
        rc, _, err = self.run_tool("--bind", OURS, "00:15:5d:00:00:09")
        self.assertEqual(rc, 1)
        self.assertIn("no VMBus network device with MAC 00:15:5d:00:00:09", err)
        self.assertIn(f"{DATA} (00:15:5d:00:00:02)", err)
        self.assertEqual(self.param(), "(null)\n")

    def test_mac_on_two_devices_is_ambiguous(self):
        self.kernel.write(self.kernel.p("sys/class/net/eth1/address"), "00:15:5d:00:00:01\n")
        rc, _, err = self.run_tool("--bind", OURS, "00:15:5d:00:00:01")
        self.assertEqual(rc, 1)
        self.assertIn("is on several VMBus network devices", err)
        self.assertEqual(self.kernel.driver_of(DATA), "hv_netvsc")
        self.assertEqual(self.param(), "(null)\n")

    def test_unknown_device_is_reported(self):
        rc, _, err = self.run_tool("--bind", "uio_hv_generic", "eth9")
        self.assertEqual(rc, 1)
        self.assertIn("no VMBus network device named 'eth9'", err)
        self.assertIn(DATA, err)

    def test_non_network_device_is_not_bindable(self):
        rc, _, err = self.run_tool("--bind", "uio_hv_generic", DISK)
        self.assertEqual(rc, 1)
        self.assertEqual(self.kernel.driver_of(DISK), "hv_storvsc")

    def test_kernel_that_never_binds_times_out(self):
        self.kernel.stop.set()
        self.kernel.thread.join()
        rc, _, err = self.run_tool("--timeout", "0.3", "--bind", "uio_hv_generic", "eth1")
        self.assertEqual(rc, 1)
        self.assertIn("timed out", err)

    def test_usage_errors(self):
        self.assertEqual(self.run_tool("--bind", "uio_hv_generic")[0], 2)
        self.assertEqual(self.run_tool("--bind", "e1000", DATA)[0], 2)
        self.assertEqual(self.run_tool("--status", DATA)[0], 2)


if __name__ == "__main__":
    result = unittest.main(verbosity=2, exit=False).result
    ran = result.testsRun
    bad = len(result.failures) + len(result.errors)
    print(f"{ran - bad} passed, {bad} failed")
    sys.exit(1 if bad else 0)
