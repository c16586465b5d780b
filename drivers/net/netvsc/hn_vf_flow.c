/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rte_flow on the netvsc port: the synthetic path has no flow engine (the
 * host applies no rules for the guest), so rules go to the VF while one
 * is attached, and are refused with a message saying why otherwise. The
 * VF's answer, good or bad, is the application's; a refusal by the VF
 * names it (the message lives in the port's hn_vf, as the last refusal).
 *
 * A rule lives on the VF port it was created on: a hot-remove closes
 * that port and its rules with it, and the next VF starts without them
 * (the application sees the VF's removal only as a counter: vf_removes).
 * Destroying such a rule only frees our handle. Control path only: every
 * call takes vf->lock, like hot-add and hot-remove.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_flow_driver.h>
#include <rte_malloc.h>

#include "hn_vf.h"

struct rte_flow {
	TAILQ_ENTRY(rte_flow) next;
	uint32_t gen;		/* vf->gen of the VF port it was made on */
	struct rte_flow *vf_flow;
};

/* The VF the rule goes to, or an error set: called with vf->lock. */
static int
target(struct hn_data *hv, struct rte_flow_error *err, uint16_t *port)
{
	struct hn_vf *vf = hv->vf;

	if (vf == NULL)
		return rte_flow_error_set(err, ENOTSUP, RTE_FLOW_ERROR_TYPE_UNSPECIFIED,
			NULL, "net_netvsc: flow rules need the VF, and VF steering is off (devarg vf=0)");
	if (!vf->attached)
		return rte_flow_error_set(err, ENODEV, RTE_FLOW_ERROR_TYPE_UNSPECIFIED,
			NULL, "net_netvsc: flow rules go to the VF (accelerated networking), and no VF is attached now");
	*port = vf->port;
	return 0;
}

/* The VF said no: its answer, with its name in front. */
static int
refused(struct hn_vf *vf, int rc, struct rte_flow_error *err)
{
	snprintf(vf->flow_msg, sizeof(vf->flow_msg), "net_netvsc: VF %s (port %u) refused: %s",
		 vf->ifname, vf->port,
		 err->message != NULL ? err->message : strerror(-rc));
	err->message = vf->flow_msg;
	return rc;
}

static int
hn_flow_validate(struct rte_eth_dev *dev, const struct rte_flow_attr *attr,
		 const struct rte_flow_item pattern[],
		 const struct rte_flow_action actions[],
		 struct rte_flow_error *err)
{
	struct hn_data *hv = dev->data->dev_private;
	uint16_t port;
	int rc;

	if (hv->vf == NULL)
		return target(hv, err, &port);
	pthread_mutex_lock(&hv->vf->lock);
	rc = target(hv, err, &port);
	if (rc == 0) {
		rc = rte_flow_validate(port, attr, pattern, actions, err);
		if (rc != 0)
			rc = refused(hv->vf, rc, err);
	}
	pthread_mutex_unlock(&hv->vf->lock);
	return rc;
}

static struct rte_flow *
hn_flow_create(struct rte_eth_dev *dev, const struct rte_flow_attr *attr,
	       const struct rte_flow_item pattern[],
	       const struct rte_flow_action actions[],
	       struct rte_flow_error *err)
{
	struct hn_data *hv = dev->data->dev_private;
	struct hn_vf *vf = hv->vf;
	struct rte_flow *f = NULL;
	uint16_t port;

	if (vf == NULL) {
		(void)target(hv, err, &port);
		return NULL;
	}
	pthread_mutex_lock(&vf->lock);
	if (target(hv, err, &port) != 0)
		goto out;
	f = rte_zmalloc("hn_flow", sizeof(*f), 0);
	if (f == NULL) {
		rte_flow_error_set(err, ENOMEM, RTE_FLOW_ERROR_TYPE_HANDLE, NULL,
				   "net_netvsc: no memory for the rule's handle");
		goto out;
	}
	f->vf_flow = rte_flow_create(port, attr, pattern, actions, err);
	if (f->vf_flow == NULL) {
		(void)refused(vf, -rte_errno, err);
		rte_free(f);
		f = NULL;
		goto out;
	}
	f->gen = vf->gen;
	TAILQ_INSERT_TAIL(&vf->flows, f, next);
out:
	pthread_mutex_unlock(&vf->lock);
	return f;
}

/* Called with vf->lock. */
static int
flow_drop(struct hn_vf *vf, struct rte_flow *f, struct rte_flow_error *err)
{
	int rc = 0;

	/* Made on the VF attached now: it still has the rule. */
	if (vf->attached && f->gen == vf->gen)
		rc = rte_flow_destroy(vf->port, f->vf_flow, err);
	if (rc != 0)
		return refused(vf, rc, err);
	TAILQ_REMOVE(&vf->flows, f, next);
	rte_free(f);
	return 0;
}

static int
hn_flow_destroy(struct rte_eth_dev *dev, struct rte_flow *f,
		struct rte_flow_error *err)
{
	struct hn_data *hv = dev->data->dev_private;
	struct hn_vf *vf = hv->vf;
	struct rte_flow *it;
	int rc = -ENOENT;

	if (vf == NULL)
		return rte_flow_error_set(err, ENOENT, RTE_FLOW_ERROR_TYPE_HANDLE,
					   NULL, "net_netvsc: no such rule");
	pthread_mutex_lock(&vf->lock);
	TAILQ_FOREACH(it, &vf->flows, next)
		if (it == f)
			break;
	if (it != NULL)
		rc = flow_drop(vf, it, err);
	else
		rte_flow_error_set(err, ENOENT, RTE_FLOW_ERROR_TYPE_HANDLE, NULL,
				   "net_netvsc: no such rule");
	pthread_mutex_unlock(&vf->lock);
	return rc;
}

static int
hn_flow_flush(struct rte_eth_dev *dev, struct rte_flow_error *err)
{
	struct hn_data *hv = dev->data->dev_private;
	struct hn_vf *vf = hv->vf;
	struct rte_flow *f;
	int rc = 0;

	if (vf == NULL)
		return 0;
	pthread_mutex_lock(&vf->lock);
	while (rc == 0 && (f = TAILQ_FIRST(&vf->flows)) != NULL)
		rc = flow_drop(vf, f, err);
	pthread_mutex_unlock(&vf->lock);
	return rc;
}

static const struct rte_flow_ops hn_flow_ops = {
	.validate = hn_flow_validate,
	.create = hn_flow_create,
	.destroy = hn_flow_destroy,
	.flush = hn_flow_flush,
};

int
hn_vf_flow_ops_get(struct rte_eth_dev *dev, const struct rte_flow_ops **ops)
{
	RTE_SET_USED(dev);
	*ops = &hn_flow_ops;
	return 0;
}

/* At close: the handles the application did not destroy. */
void
hn_vf_flow_fini(struct hn_vf *vf)
{
	struct rte_flow *f;

	while ((f = TAILQ_FIRST(&vf->flows)) != NULL) {
		TAILQ_REMOVE(&vf->flows, f, next);
		rte_free(f);
	}
}
