// Generated from src/pipeline/pipelines/*.yaml by src/pipeline/pipelines/embed.cmake; do not edit.
#include "pipeline/pipeline.h"

namespace bosun {
namespace {

// clang-format off
const BuiltinPipeline kFiles[] = {
    {"bugfix", "src/pipeline/pipelines/bugfix.yaml", R"bosun_pipeline(# A bug: the debugger reproduces it with a failing test, the fix makes it pass without touching
# that test, a reviewer approves or sends the fix back.
name: bugfix
description: reproduce with a failing test → fix → review → merge
limits:
  max_loops: 2
steps:
  - id: reproduce
    role: debugger
    mode: headless
    prompt: |
      Reproduce {{task.title}} ({{task.id}}) with a test that fails because of the bug.
      {{task.description}}
      {{gate.evidence}}
    gates: [report, tests_red]
  - id: fix
    role: backend
    mode: headless
    needs: [reproduce]
    max_attempts: 3
    prompt: |
      Fix {{task.title}}: make the failing test pass without changing it.
      How it was reproduced: {{steps.reproduce.output}}
      {{review.comments}}
      What the steps so far handed on:
      {{handoff}}
      {{gate.evidence}}
    gates: [report, tests_green, tests_untouched, domains]
  - id: review
    role: reviewer
    mode: headless
    needs: [fix]
    prompt: |
      Review the fix of {{task.title}}. Report approve, or request_changes with your comments.
      {{steps.fix.report}}
      What the steps so far handed on:
      {{handoff}}
    gates:
      - review: {on_fail: {back_to: fix}}
)bosun_pipeline"},
    {"feature", "src/pipeline/pipelines/feature.yaml", R"bosun_pipeline(# A feature, tests first: the architect writes the design, QA writes tests that fail, the backend
# makes them pass without touching them, a reviewer approves or sends the work back.
name: feature
description: architect → failing tests → implementation → review → merge
limits:
  max_loops: 3          # reviews that send the work back before a person decides
steps:
  - id: design
    role: architect
    mode: headless
    prompt: |
      Design {{task.title}} ({{task.id}}) for {{project.name}} ({{project.tech_stack}}).
      {{task.description}}
      What the project has learned: {{decisions}}
      Write the design down, with requirement ids (REQ-1, REQ-2, …), and commit it.
    gates: [report, domains]
  - id: tests
    role: qa
    mode: headless
    needs: [design]
    prompt: |
      Write tests for {{task.title}} that fail until it is built, one or more per requirement
      of the design, naming the requirement ids they cover.
      The design: {{steps.design.output}}
      What the steps so far handed on:
      {{handoff}}
      {{gate.evidence}}
    gates: [report, tests_red, domains]
  - id: implement
    role: backend
    mode: headless
    needs: [tests]
    max_attempts: 3
    prompt: |
      Make the tests of {{task.title}} pass without changing them.
      The design: {{steps.design.output}}
      The tests: {{steps.tests.output}}
      {{review.comments}}
      What the steps so far handed on:
      {{handoff}}
      {{gate.evidence}}
    gates: [report, tests_green, tests_untouched, domains]
  - id: review
    role: reviewer
    mode: headless
    needs: [implement]
    prompt: |
      Review {{task.title}}: the design, the tests and the implementation on this branch.
      Report approve, or request_changes with your comments.
      {{steps.implement.report}}
      What the steps so far handed on:
      {{handoff}}
    gates:
      - review: {on_fail: {back_to: implement}}
)bosun_pipeline"},
    {"tdd", "src/pipeline/pipelines/tdd.yaml", R"bosun_pipeline(# Red, green, refactor, each checked by running the tests: a failing test first, then the code
# that passes it without touching it, then a refactor that keeps every test green.
name: tdd
description: red → green → refactor, each checked by running the tests
steps:
  - id: red
    role: qa
    mode: headless
    prompt: |
      Write the smallest test for the next behaviour of {{task.title}} ({{task.id}}); it must fail.
      {{task.description}}
      {{gate.evidence}}
    gates: [report, tests_red]
  - id: green
    role: backend
    mode: headless
    needs: [red]
    max_attempts: 3
    prompt: |
      Make the new test pass with the simplest code, without changing the test.
      The test: {{steps.red.output}}
      What the steps so far handed on:
      {{handoff}}
      {{gate.evidence}}
    gates: [report, tests_green, tests_untouched]
  - id: refactor
    role: backend
    mode: headless
    needs: [green]
    prompt: |
      Refactor what you wrote for {{task.title}}; every test stays green.
      What the steps so far handed on:
      {{handoff}}
      {{gate.evidence}}
    gates: [report, tests_green, tests_untouched]
)bosun_pipeline"},
};
// clang-format on

}  // namespace

std::span<const BuiltinPipeline> builtin_pipelines() {
  return kFiles;
}

}  // namespace bosun
