/* SPDX-License-Identifier: BSD-3-Clause */
/* Control commands and socket against a fake network service. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "emu_backend.h"
#include "emu_ctl.h"
#include "fake_net.h"

static struct emu_nic nics[2];
static struct emu_ctl_env env;

static int
setup(void **state)
{
	struct emu_gen_config g;

	(void)state;
	memset(&env, 0, sizeof(env));
	fake_nic_init(&nics[0]);
	fake_nic_init(&nics[1]);
	env.nnics = 2;
	env.nic[0] = &nics[0];
	env.nic[1] = &nics[1];
	emu_gen_config_defaults(&g);
	g.start = false;
	g.count = 2;
	assert_int_equal(emu_gen_create(&g, 1518, &env.be[1]), 0);
	emu_nic_set_backend(&nics[1], env.be[1]);
	assert_int_equal(emu_loop_create(&env.loop), 0);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	emu_nic_set_backend(&nics[1], NULL);
	emu_loop_destroy(env.loop);
	return 0;
}

/* Run one command; the reply lands in a static buffer. */
static char reply[4096];

static int
run(const char *cmd)
{
	char line[256];
	FILE *out = fmemopen(reply, sizeof(reply), "w");
	int ret;

	assert_non_null(out);
	snprintf(line, sizeof(line), "%s", cmd);
	ret = emu_ctl_exec(&env, line, out);
	fclose(out);
	return ret;
}

static void
test_emu_ctl_link_speed(void **state)
{
	(void)state;
	assert_int_equal(run("link 1 down"), 0);
	assert_string_equal(reply, "ok\n");
	assert_string_equal(nics[1].last, "link");
	assert_int_equal(nics[1].arg1, 0);
	assert_int_equal(run("speed 0 40000"), 0);
	assert_string_equal(nics[0].last, "speed");
	/* Mb/s to the guest's 100 bps units. */
	assert_int_equal(nics[0].arg1, 400000000);
	assert_true(run("speed 0 429497") < 0);
	assert_true(run("speed 0 0") < 0);
	assert_true(run("link 0 sideways") < 0);
	assert_int_equal(strncmp(reply, "error: ", 7), 0);
}

static void
test_emu_ctl_bad_nic_and_args(void **state)
{
	(void)state;
	assert_int_equal(run("link 2 up"), -ERANGE);
	assert_int_equal(run("link -1 up"), -ERANGE);
	assert_int_equal(run("link 0"), -EINVAL);
	assert_int_equal(run("link 0 up extra"), -EINVAL);
	assert_int_equal(run("frobnicate 0"), -EINVAL);
	assert_int_equal(run(""), -EINVAL);
	assert_int_equal(run("a b c d e f"), -EINVAL);
	assert_int_equal(strncmp(reply, "error: ", 7), 0);
	assert_string_equal(nics[0].last, "");
}

/* cg-window is the benchmark's, under callgrind only: refused here,
 * saying why, and before anything else on bad usage. */
static void
test_emu_ctl_cg_window_outside_valgrind(void **state)
{
	(void)state;
	assert_int_equal(run("cg-window zero 0"), -ENOTSUP);
	assert_true(strstr(reply, "error: not running under callgrind") != NULL ||
		    strstr(reply, "error: built without valgrind/callgrind.h") != NULL);
	assert_int_equal(run("cg-window dump 0"), -ENOTSUP);
	assert_int_equal(run("cg-window sideways 0"), -EINVAL);
	assert_non_null(strstr(reply, "usage: cg-window zero|dump NIC"));
	assert_int_equal(run("cg-window zero"), -EINVAL);
}

static void
test_emu_ctl_fault_delay_vf(void **state)
{
	(void)state;
	assert_int_equal(run("fault 0 dup-completion 3"), 0);
	assert_int_equal(nics[0].arg1, EMU_FAULT_DUP_COMPLETION);
	assert_int_equal(nics[0].arg2, 3);
	assert_true(run("fault 0 no-such-fault 1") < 0);
	assert_true(run("fault 0 bad-ppi x") < 0);
	assert_int_equal(run("delay 1 0.25"), 0);
	assert_string_equal(nics[1].last, "delay");
	assert_int_equal(nics[1].arg1, 250);
	assert_true(run("delay 1 -1") < 0);
	assert_true(run("delay 1 nan") < 0);
	assert_int_equal(run("vf-offer 0 0x10"), 0);
	assert_int_equal(nics[0].arg1, 16);
	assert_int_equal(run("vf-revoke 0"), 0);
	assert_string_equal(nics[0].last, "vf-revoke");
	assert_int_equal(run("vf-revoke-abrupt 0"), 0);
	assert_string_equal(nics[0].last, "vf-revoke-abrupt");
	assert_int_equal(run("vf-attach 0 vfg0 vfh0"), 0);
	assert_string_equal(nics[0].last, "vfg0");
	assert_int_equal(nics[0].arg1, 4);
	assert_true(run("vf-attach 0 a-name-far-too-long-for-ifnamsiz b") < 0);
	assert_true(run("vf-attach 0 vfg0") < 0);
	assert_int_equal(run("vf-set 0 grace-ms 10"), 0);
	assert_string_equal(nics[0].last, "grace-ms");
	assert_int_equal(run("faults"), 0);
	assert_non_null(strstr(reply, "drop-completion"));
}

/* The generic faults: arguments reach the service, bad ones do not. */
static void
test_emu_ctl_mutate_reply(void **state)
{
	(void)state;
	assert_int_equal(run("mutate 1 nvsp status 0x7 2"), 0);
	assert_string_equal(reply, "ok\n");
	assert_string_equal(nics[1].last, "mutate");
	assert_int_equal(nics[1].arg1, 7);
	assert_int_equal(nics[1].arg2, 2);
	/* The service's -EINVAL names the problem. */
	assert_true(run("mutate 1 nvsp nosuchfield 1 1") < 0);
	assert_non_null(strstr(reply, "error: unknown kind or field"));
	assert_true(run("mutate 1 nvsp status -1 1") < 0);
	assert_non_null(strstr(reply, "error: bad value"));
	assert_true(run("mutate 1 nvsp status 1") < 0);
	assert_non_null(strstr(reply, "error: wrong number of arguments"));
	assert_int_equal(run("reply-delay 0 rndis 250 3"), 0);
	assert_string_equal(nics[0].last, "reply-delay");
	assert_int_equal(nics[0].arg1, 250);
	assert_int_equal(nics[0].arg2, 3);
	assert_int_equal(run("reply-delay 0 rndis never 1"), 0);
	assert_int_equal(nics[0].arg1, (long)EMU_REPLY_NEVER);
	assert_true(run("reply-delay 0 rndis soon 1") < 0);
	assert_non_null(strstr(reply, "error: ms must be"));
	assert_int_equal(run("reply-drop 0 nvsp 4"), 0);
	assert_string_equal(nics[0].last, "reply-drop");
	assert_int_equal(nics[0].arg2, 4);
	assert_true(run("reply-drop 0 bogus 4") < 0);
	assert_non_null(strstr(reply, "error: kind must be"));
	assert_int_equal(run("tx-comp-delay 1 never"), 0);
	assert_string_equal(nics[1].last, "tx-comp-delay");
	assert_int_equal(nics[1].arg1, -1);
	assert_int_equal(run("tx-comp-delay 1 20"), 0);
	assert_int_equal(nics[1].arg1, 20);
	assert_true(run("tx-comp-delay 1 -5") < 0);
	assert_non_null(strstr(reply, "error: us must be"));
}

static void
test_emu_ctl_rescind_reoffer(void **state)
{
	(void)state;
	/* The service's error comes back as an error reply. */
	assert_int_equal(run("reoffer 0"), -EPROTO);
	assert_int_equal(run("rescind 0"), 0);
	assert_int_equal(run("reoffer 0"), 0);
	assert_int_equal(run("trace 1 on"), 0);
	assert_int_equal(nics[1].arg1, 1);
}

static void
test_emu_ctl_gen_and_stats(void **state)
{
	(void)state;
	/* NIC 0 has no generator. */
	assert_true(run("gen 0 start") < 0);
	assert_int_equal(run("gen 1 start"), 0);
	env.be[1]->ops->poll(env.be[1]);
	assert_int_equal(nics[1].nframes, 2);
	assert_int_equal(run("stats 1"), 0);
	assert_non_null(strstr(reply, "nic 1\n"));
	assert_non_null(strstr(reply, "backend gen: to-guest 2 "));
	assert_null(strstr(reply, "nic 0\n"));
	assert_int_equal(strcmp(reply + strlen(reply) - 4, "end\n"), 0);
	assert_int_equal(run("stats"), 0);
	assert_non_null(strstr(reply, "nic 0\n"));
	assert_non_null(strstr(reply, "nic 1\n"));
	assert_int_equal(run("stats 7"), -ERANGE);
}

static void *
loop_main(void *arg)
{
	emu_loop_run(arg);
	return NULL;
}

static void
test_emu_ctl_socket(void **state)
{
	char dir[] = "/tmp/test_emu_ctl.XXXXXX", path[128], *buf = NULL;
	struct emu_ctl *ctl;
	pthread_t th;
	size_t len = 0;
	FILE *out;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/control", dir);
	assert_int_equal(emu_ctl_open(&env, path, &ctl), 0);
	assert_int_equal(pthread_create(&th, NULL, loop_main, env.loop), 0);
	out = open_memstream(&buf, &len);
	assert_int_equal(emu_ctl_request(path, "link 0 up", out), 0);
	assert_int_equal(emu_ctl_request(path, "link 9 up", out), 1);
	assert_int_equal(emu_ctl_request(path, "stats", out), 0);
	/* quit stops the loop the socket is served on */
	assert_int_equal(emu_ctl_request(path, "quit", out), 0);
	fclose(out);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_non_null(strstr(buf, "ok\nerror: no such NIC"));
	assert_non_null(strstr(buf, "end\nok\n"));
	assert_string_equal(nics[0].last, "link");
	free(buf);
	emu_ctl_close(ctl);
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(emu_ctl_request(path, "stats", stdout), -ENOENT);
	rmdir(dir);
}

/* A server that takes the connection but never answers: the client gives
 * up (a test asking a stuck emulator must fail, not hang). */
static void
test_emu_ctl_no_reply(void **state)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char dir[] = "/tmp/emu-ctl-test.XXXXXX";
	int fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/ctl", dir);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 4), 0);
	assert_int_equal(emu_ctl_request_wait(sa.sun_path, "stats", stdout, 50),
			 -ETIMEDOUT);
	close(fd);
	unlink(sa.sun_path);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_emu_ctl_link_speed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_emu_ctl_bad_nic_and_args, setup, teardown),
		cmocka_unit_test_setup_teardown(test_emu_ctl_cg_window_outside_valgrind, setup, teardown),
		cmocka_unit_test_setup_teardown(test_emu_ctl_fault_delay_vf, setup, teardown),
		cmocka_unit_test_setup_teardown(test_emu_ctl_mutate_reply, setup, teardown),
		cmocka_unit_test_setup_teardown(test_emu_ctl_rescind_reoffer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_emu_ctl_gen_and_stats, setup, teardown),
		cmocka_unit_test_setup_teardown(test_emu_ctl_socket, setup, teardown),
		cmocka_unit_test(test_emu_ctl_no_reply),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
