/* test_null.c - no crash on misuse: every public function that can fail,
 * given NULL where it needs an object, returns AT_ERR_ARG with a message
 * naming itself and the argument; those that cannot fail return their
 * documented empty value. One row per function and argument. */
#include "config.h"

#include "testutil.h"

#include <math.h>
#include <string.h>

static at_config cfg = AT_CONFIG_INIT(2, AT_MODE_PROCESS, 1, 1, 1,
                                      AT_TRANSPORT_SHM, AT_PIN_NONE);
static at_machine mach;
static at_entry entry;
static at_model *model;
static at_sample sample;
static at_machine_costs costs;
static at_query_result result;
static at_job job;
static char buf[64];
static int count, cpus[4];
static void *ptr;
static at_profile *prof, *out_prof;

#define CALL(name, call)                                                     \
    static at_status name(at_error *err)                                     \
    {                                                                        \
        return call;                                                         \
    }

CALL(detect, at_machine_detect(NULL, err))
CALL(get_threads, at_blas_get_threads(NULL, err))
CALL(mode_parse, at_mode_parse("thread", NULL, err))
CALL(transport_parse, at_transport_parse("shm", NULL, err))
CALL(pin_parse, at_pin_parse("cores", NULL, err))
CALL(config_check, at_config_check(NULL, err))
CALL(config_apply, at_config_apply(NULL, err))
CALL(worker_apply, at_worker_apply(NULL, 0, err))
CALL(worker_cpus_config,
     at_worker_cpus(NULL, 0, NULL, 0, cpus, 4, &count, err))
CALL(worker_cpus_count, at_worker_cpus(&cfg, 0, NULL, 0, cpus, 4, NULL, err))
CALL(profile_new, at_profile_new(NULL, err))
CALL(load_path, at_profile_load(NULL, &out_prof, err))
CALL(load_out, at_profile_load("x.yaml", NULL, err))
CALL(load_string_yaml, at_profile_load_string(NULL, 0, "s", &out_prof, err))
CALL(load_string_out, at_profile_load_string("", 0, "s", NULL, err))
CALL(save_profile, at_profile_save(NULL, "x.yaml", err))
CALL(save_path, at_profile_save(prof, NULL, err))
CALL(to_string_profile, at_profile_to_string(NULL, (char **)&ptr, err))
CALL(to_string_out, at_profile_to_string(prof, NULL, err))
CALL(merge_into, at_profile_merge(NULL, prof, err))
CALL(merge_from, at_profile_merge(prof, NULL, err))
CALL(merge_file_from, at_profile_merge_into_file(NULL, "x.yaml", err))
CALL(merge_file_path, at_profile_merge_into_file(prof, NULL, err))
CALL(add_machine_p, at_profile_add_machine(NULL, &mach, err))
CALL(add_machine_m, at_profile_add_machine(prof, NULL, err))
CALL(set_costs_p, at_profile_set_costs(NULL, "f", &costs, err))
CALL(set_costs_fp, at_profile_set_costs(prof, NULL, &costs, err))
CALL(set_costs_costs, at_profile_set_costs(prof, "f", NULL, err))
CALL(set_entry_w, at_profile_set_entry(prof, "f", NULL, &entry, err))
CALL(set_entry_e, at_profile_set_entry(prof, "f", "svd", NULL, err))
CALL(set_scaled_fp,
     at_profile_set_entry_scaled(prof, NULL, "svd", &entry, 2, err))
CALL(set_scaled_e,
     at_profile_set_entry_scaled(prof, "f", "svd", NULL, 2, err))
CALL(set_model_m, at_profile_set_model(prof, "f", "svd", NULL, err))
CALL(add_sample_s, at_profile_add_sample(prof, "f", "svd", NULL, err))
CALL(query_machine, at_profile_query(prof, NULL, "svd", 1, 1, &result, err))
CALL(query_workload, at_profile_query(prof, &mach, NULL, 1, 1, &result, err))
CALL(query_result, at_profile_query(prof, &mach, "svd", 1, 1, NULL, err))
CALL(query_flags_machine,
     at_profile_query_flags(NULL, NULL, "svd", 1, 1, 0, &result, err))
CALL(pool_create_config, at_pool_create(NULL, (at_pool **)&ptr, err))
CALL(pool_create_out, at_pool_create(&cfg, NULL, err))
CALL(pool_run_pool, at_pool_run(NULL, &job, NULL, err))
CALL(buffer_alloc, at_buffer_alloc(16, NULL, err))
CALL(profile_find, at_profile_find(NULL, 10, err))
CALL(user_path, at_profile_user_path(NULL, 10, err))
CALL(files_find, at_profile_files_find(NULL, err))
CALL(files_load_files, at_profile_files_load(NULL, &out_prof, err))
/* a stand-in object: the NULL check comes before any use */
CALL(files_load_out,
     at_profile_files_load((at_profile_files *)&ptr, NULL, err))
CALL(model_new, at_model_new(NULL, err))
CALL(name_check, at_workload_name_check(NULL, err))
CALL(config_env, at_config_env("w", "tuning", NULL, NULL, 0, NULL, NULL, err))
CALL(config_from_env, at_config_from_env("w", NULL, err))
CALL(kind_parse, at_kind_parse("batch", NULL, err))
CALL(add_workload_p, at_profile_add_workload(NULL, "f", "w", 0, err))
CALL(model_get, at_model_get(NULL, "error", (double *)&ptr, err))
CALL(model_get_value, at_model_get(model, "error", NULL, err))
CALL(model_set, at_model_set(NULL, "error", 0, err))
CALL(model_range, at_model_range("error", NULL, (double *)&ptr, err))
CALL(model_set_fitted, at_model_set_fitted(model, NULL, err))

static void test_null_objects(void **state)
{
    (void)state;
    static const struct {
        at_status (*call)(at_error *err);
        const char *message;
    } cases[] = {
        {detect, "at_machine_detect: out is NULL"},
        {get_threads, "at_blas_get_threads: threads is NULL"},
        {mode_parse, "at_mode_parse: mode is NULL"},
        {transport_parse, "at_transport_parse: t is NULL"},
        {pin_parse, "at_pin_parse: pin is NULL"},
        {config_check, "at_config_check: c is NULL"},
        {config_apply, "at_config_apply: config is NULL"},
        {worker_apply, "at_worker_apply: config is NULL"},
        {worker_cpus_config, "at_worker_cpus: config is NULL"},
        {worker_cpus_count, "at_worker_cpus: count is NULL"},
        {profile_new, "at_profile_new: out is NULL"},
        {load_path, "at_profile_load: path is NULL"},
        {load_out, "at_profile_load: out is NULL"},
        {load_string_yaml, "at_profile_load_string: yaml is NULL"},
        {load_string_out, "at_profile_load_string: out is NULL"},
        {save_profile, "at_profile_save: p is NULL"},
        {save_path, "at_profile_save: path is NULL"},
        {to_string_profile, "at_profile_to_string: p is NULL"},
        {to_string_out, "at_profile_to_string: result is NULL"},
        {merge_into, "at_profile_merge: into is NULL"},
        {merge_from, "at_profile_merge: from is NULL"},
        {merge_file_from, "at_profile_merge_into_file: from is NULL"},
        {merge_file_path, "at_profile_merge_into_file: path is NULL"},
        {add_machine_p, "at_profile_add_machine: p is NULL"},
        {add_machine_m, "at_profile_add_machine: m is NULL"},
        {set_costs_p, "at_profile_set_costs: p is NULL"},
        {set_costs_fp, "at_profile_set_costs: fingerprint is NULL"},
        {set_costs_costs, "at_profile_set_costs: costs is NULL"},
        {set_entry_w, "at_profile_set_entry: workload is NULL"},
        {set_entry_e, "at_profile_set_entry: e is NULL"},
        {set_scaled_fp, "at_profile_set_entry_scaled: fingerprint is NULL"},
        {set_scaled_e, "at_profile_set_entry_scaled: e is NULL"},
        {set_model_m, "at_profile_set_model: model is NULL"},
        {add_sample_s, "at_profile_add_sample: smp is NULL"},
        {query_machine, "at_profile_query: machine is NULL"},
        {query_workload, "at_profile_query: workload is NULL"},
        {query_result, "at_profile_query: result is NULL"},
        {query_flags_machine, "at_profile_query_flags: machine is NULL"},
        {pool_create_config, "at_pool_create: config is NULL"},
        {pool_create_out, "at_pool_create: out is NULL"},
        {pool_run_pool, "at_pool_run: pool is NULL"},
        {buffer_alloc, "at_buffer_alloc: data is NULL"},
        {profile_find, "at_profile_find: buf is NULL"},
        {user_path, "at_profile_user_path: buf is NULL"},
        {files_find, "at_profile_files_find: out is NULL"},
        {files_load_files, "at_profile_files_load: files is NULL"},
        {files_load_out, "at_profile_files_load: out is NULL"},
        {model_new, "at_model_new: out is NULL"},
        {name_check, "at_workload_name_check: name is NULL"},
        {config_env, "at_config_env: c is NULL"},
        {config_from_env, "at_config_from_env: config is NULL"},
        {kind_parse, "at_kind_parse: kind is NULL"},
        {add_workload_p, "at_profile_add_workload: p is NULL"},
        {model_get, "at_model_get: model is NULL"},
        {model_get_value, "at_model_get: value is NULL"},
        {model_set, "at_model_set: model is NULL"},
        {model_range, "at_model_range: min is NULL"},
        {model_set_fitted, "at_model_set_fitted: utc is NULL"},
    };
    assert_at_ok(at_profile_new(&prof, NULL), NULL);
    assert_at_ok(at_model_new(&model, NULL), NULL);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        at_error err;
        memset(&err, 0, sizeof err);
        assert_int_equal(cases[i].call(&err), AT_ERR_ARG);
        assert_int_equal(err.code, AT_ERR_ARG);
        assert_string_equal(err.message, cases[i].message);
        assert_int_equal(cases[i].call(NULL), AT_ERR_ARG); /* err optional */
    }
    at_profile_free(prof);
    at_model_free(model);
    model = NULL;
}

/* Functions that cannot fail answer NULL with their empty value. */
static void test_null_values(void **state)
{
    (void)state;
    at_machine_fingerprint(NULL);
    at_fallback_config(AT_KIND_BATCH, 10, 10, 2, NULL);
    at_pool_cancel(NULL);
    at_pool_free(NULL);
    at_profile_free(NULL);
    at_buffer_free(NULL);
    assert_true(at_pool_start_seconds(NULL) == 0);
    assert_true(at_model_predict(NULL, NULL, 2, AT_KIND_BATCH, 10, 10, &cfg) <
                0);
    assert_at_ok(at_model_new(&model, NULL), NULL);
    assert_true(
        at_model_predict(model, NULL, 2, AT_KIND_BATCH, 10, 10, NULL) < 0);
    at_model_free(model);
    at_model_free(NULL);
    at_model_copy(NULL, NULL);
    assert_null(at_model_fitted(NULL));
    assert_null(at_model_param_name(at_model_param_count()));
    assert_null(at_machine_profile_machine(NULL));
    assert_null(at_machine_profile_costs(NULL));
    assert_int_equal(at_machine_profile_workload_count(NULL), 0);
    assert_null(at_machine_profile_workload_at(NULL, 0));
    assert_null(at_workload_profile_name(NULL));
    assert_null(at_workload_profile_model(NULL));
    assert_int_equal(at_workload_profile_entry_count(NULL), 0);
    assert_null(at_workload_profile_entry_at(NULL, 0));
    assert_int_equal(at_workload_profile_entry_baseline_items(NULL, 0), 0);
    assert_int_equal(at_workload_profile_sample_count(NULL), 0);
    assert_null(at_workload_profile_sample_at(NULL, 0));
    assert_int_equal(at_profile_machine_count(NULL), 0);
    assert_null(at_profile_machine_at(NULL, 0));
    assert_null(at_profile_find_machine(NULL, "f"));
    assert_null(at_profile_find_machine(prof, NULL));
    assert_null(at_machine_profile_workload(NULL, "svd"));
    assert_true(at_profile_equal(NULL, NULL));
    at_profile_files_free(NULL);
    assert_int_equal(at_profile_files_count(NULL), 0);
    assert_null(at_profile_files_path(NULL, 0));
    assert_null(at_profile_files_origin(NULL, "f", "svd"));
    assert_int_equal(at_blas_list(NULL, 5), at_blas_list(NULL, 0));
    assert_string_equal(at_error_format(NULL, buf, sizeof buf), "(no error)");
    assert_null(at_error_format(NULL, NULL, 10));
    (void)sample;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_null_objects),
        cmocka_unit_test(test_null_values),
    };
    return cmocka_run_group_tests_name("null", tests, NULL, NULL);
}
