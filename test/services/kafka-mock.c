/* A Kafka broker for tests: librdkafka's mock cluster on loopback ports. Prints
 * "BOOTSTRAP <servers>", then reads one command per line from stdin and answers "OK" or "ERR":
 *   down <broker-id|-1>            up <broker-id|-1>
 *   topic <name> <partitions> <replication>       coordinator <group-id> <broker-id>
 *   errors <api-key> <error-code>...   (the next requests of that type fail with these codes)
 *   delay <broker-id|-1> <api-key> <count> <ms> [error-code]
 *                                  (the next <count> such requests answer <ms> late, failing with the code)
 * Exits when stdin closes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

int main(int argc, char **argv) {
  char err[512], line[4096], name[1024];
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "log_level", "0", err, sizeof err);
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (!rk) { fprintf(stderr, "rd_kafka_new: %s\n", err); return 1; }
  int brokers = argc > 1 ? atoi(argv[1]) : 3;
  rd_kafka_mock_cluster_t *mc = rd_kafka_mock_cluster_new(rk, brokers);
  if (!mc) { fprintf(stderr, "mock cluster failed\n"); return 1; }
  printf("BOOTSTRAP %s\n", rd_kafka_mock_cluster_bootstraps(mc));
  fflush(stdout);
  while (fgets(line, sizeof line, stdin)) {
    int id, parts, repl, n = 0, used, key, cnt, ms, code = 0;
    rd_kafka_resp_err_t codes[256];
    rd_kafka_resp_err_t r = RD_KAFKA_RESP_ERR__INVALID_ARG;
    if (sscanf(line, "down %d", &id) == 1) r = rd_kafka_mock_broker_set_down(mc, id);
    else if (sscanf(line, "up %d", &id) == 1) r = rd_kafka_mock_broker_set_up(mc, id);
    else if (sscanf(line, "topic %1023s %d %d", name, &parts, &repl) == 3) r = rd_kafka_mock_topic_create(mc, name, parts, repl);
    else if (sscanf(line, "coordinator %1023s %d", name, &id) == 2) r = rd_kafka_mock_coordinator_set(mc, "group", name, id);
    else if (sscanf(line, "delay %d %d %d %d %d", &id, &key, &cnt, &ms, &code) >= 4) {
      for (int b = id < 0 ? 1 : id; b <= (id < 0 ? brokers : id); b++)
        for (int i = 0; i < cnt; i++) r = rd_kafka_mock_broker_push_request_error_rtts(mc, b, (int16_t)key, 1, (rd_kafka_resp_err_t)code, ms);
    } else if (sscanf(line, "errors %d%n", &id, &used) == 1) {
      char *p = line + used;
      int code;
      while (n < 256 && sscanf(p, "%d%n", &code, &used) == 1) { codes[n++] = (rd_kafka_resp_err_t)code; p += used; }
      if (n > 0) { rd_kafka_mock_push_request_errors_array(mc, (int16_t)id, (size_t)n, codes); r = RD_KAFKA_RESP_ERR_NO_ERROR; }
    }
    printf(r == RD_KAFKA_RESP_ERR_NO_ERROR ? "OK\n" : "ERR %s\n", rd_kafka_err2str(r));
    fflush(stdout);
  }
  rd_kafka_mock_cluster_destroy(mc);
  rd_kafka_destroy(rk);
  return 0;
}
