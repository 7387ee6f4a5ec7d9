// SPDX-License-Identifier: GPL-2.0
/*
 * raw-read: the floor for reading a trace.dat through libtracecmd, which
 * tests/bench/run compares pagestate replay against.
 *
 *   raw-read FILE
 *
 * Opens FILE the way replay/trace.c does (the top level, plus every
 * buffer instance merged by timestamp when the top level is empty, as
 * trace-cmd record -B leaves it), iterates every record, reads its event
 * id and, for kmem events, the pfn field, and counts.  No state, no
 * adapters: whatever pagestate replay costs beyond this is ours.
 *
 * Prints:
 *   records: <n>
 *   kmem: <n> pfn-sum: 0x<hex>
 *   elapsed: <seconds>
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <trace-cmd/trace-cmd.h>
#include <traceevent/event-parse.h>

struct raw {
	struct tep_handle *tep;
	/* pfn field of each kmem event, indexed by event id; else NULL */
	struct tep_format_field **pfn_by_id;
	int nr_ids;
	unsigned long long records;
	unsigned long long kmem;
	unsigned long long pfn_sum;	/* so the reads cannot be elided */
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int bind_pfn_fields(struct raw *r)
{
	struct tep_event **events = tep_list_events(r->tep, TEP_EVENT_SORT_ID);
	int i;

	for (i = 0; events && events[i]; i++)
		if (events[i]->id >= r->nr_ids)
			r->nr_ids = events[i]->id + 1;
	r->pfn_by_id = calloc(r->nr_ids ? r->nr_ids : 1,
			      sizeof(*r->pfn_by_id));
	if (!r->pfn_by_id)
		return -1;
	for (i = 0; events && events[i]; i++) {
		if (strcmp(events[i]->system, "kmem"))
			continue;
		r->pfn_by_id[events[i]->id] =
			tep_find_field(events[i], "pfn");
	}
	return 0;
}

static int count_record(struct tracecmd_input *handle,
			struct tep_record *rec, int cpu, void *data)
{
	struct raw *r = data;
	struct tep_format_field *f;
	int id;

	r->records++;
	id = tep_data_type(r->tep, rec);
	if (id < 0 || id >= r->nr_ids)
		return 0;
	f = r->pfn_by_id[id];
	if (!f || f->offset + f->size > rec->size)
		return 0;
	r->kmem++;
	r->pfn_sum += tep_read_number(r->tep, (char *)rec->data + f->offset,
				      f->size);
	return 0;
}

int main(int argc, char **argv)
{
	struct tracecmd_input *handle, **handles;
	struct raw r = { 0 };
	int i, n, nr_handles = 0, ret;
	double start;

	if (argc != 2) {
		fprintf(stderr, "usage: raw-read FILE\n");
		return 2;
	}
	start = now();
	tracecmd_set_loglevel(TEP_LOG_CRITICAL);
	handle = tracecmd_open(argv[1], TRACECMD_FL_LOAD_NO_PLUGINS);
	if (!handle) {
		fprintf(stderr, "raw-read: %s: not a readable trace.dat\n",
			argv[1]);
		return 1;
	}
	r.tep = tracecmd_get_tep(handle);
	if (bind_pfn_fields(&r)) {
		fprintf(stderr, "raw-read: out of memory\n");
		return 1;
	}

	n = tracecmd_buffer_instances(handle);
	handles = calloc(n + 1, sizeof(*handles));
	if (!handles) {
		fprintf(stderr, "raw-read: out of memory\n");
		return 1;
	}
	handles[nr_handles++] = handle;
	for (i = 0; i < n; i++) {
		struct tracecmd_input *h =
			tracecmd_buffer_instance_handle(handle, i);

		if (h)
			handles[nr_handles++] = h;
	}
	if (nr_handles > 1)
		ret = tracecmd_iterate_events_multi(handles, nr_handles,
						    count_record, &r);
	else
		ret = tracecmd_iterate_events(handle, NULL, 0, count_record,
					      &r);
	if (ret < 0) {
		fprintf(stderr, "raw-read: %s: bad event data after %llu records\n",
			argv[1], r.records);
		return 1;
	}

	printf("records: %llu\n", r.records);
	printf("kmem: %llu pfn-sum: 0x%llx\n", r.kmem, r.pfn_sum);
	printf("elapsed: %.3f\n", now() - start);

	for (i = 1; i < nr_handles; i++)
		tracecmd_close(handles[i]);
	tracecmd_close(handle);
	free(handles);
	free(r.pfn_by_id);
	return 0;
}
