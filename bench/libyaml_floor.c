/* The C floor of bench/run.py: libyaml parses stdin to the end, every event made and
 * freed, no Python object created. Prints the number of events.
 * Built by bench/run.py: cc -O2 libyaml_floor.c -lyaml (Debian: libyaml-dev). */
#include <stdio.h>
#include <yaml.h>

int main(void) {
    yaml_parser_t parser;
    yaml_event_t event;
    unsigned long events = 0;
    int done = 0;

    if (!yaml_parser_initialize(&parser)) {
        fputs("libyaml: cannot initialize the parser\n", stderr);
        return 2;
    }
    yaml_parser_set_input_file(&parser, stdin);
    while (!done) {
        if (!yaml_parser_parse(&parser, &event)) {
            fprintf(stderr, "libyaml: %s at offset %lu\n", parser.problem ? parser.problem : "error",
                    (unsigned long)parser.problem_mark.index);
            yaml_parser_delete(&parser);
            return 1;
        }
        done = event.type == YAML_STREAM_END_EVENT;
        yaml_event_delete(&event);
        events++;
    }
    yaml_parser_delete(&parser);
    printf("%lu\n", events);
    return 0;
}
