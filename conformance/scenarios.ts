/**
 * The server scenarios of @modelcontextprotocol/conformance 0.1.16, sorted into those backburner must pass
 * and those it skips, each with its reason. docs/conformance.md is the same list in prose.
 */
export const EXPECTED_TO_PASS: string[] = [
  'server-initialize',
  'logging-set-level',
  'ping',
  'tools-list',
  'server-sse-polling',
  'server-sse-multiple-streams',
  'resources-list',
  'resources-subscribe',
  'resources-unsubscribe',
  'dns-rebinding-protection',
];

const fixtureTool = (name: string): string =>
  `calls the suite's fixture tool ${name}, which backburner does not have (its tools run shell commands)`;
const fixturePrompt = (name: string): string =>
  `gets the suite's fixture prompt ${name}; backburner serves no prompts`;

export const SKIPPED: Record<string, string> = {
  'completion-complete': `completes an argument of the suite's fixture prompt test_prompt_with_arguments; backburner serves no prompts (its resource templates do complete task ids, tested in test/resources.test.ts)`,
  'tools-call-simple-text': fixtureTool('test_simple_text'),
  'tools-call-image': fixtureTool('test_image_content'),
  'tools-call-audio': fixtureTool('test_audio_content'),
  'tools-call-embedded-resource': fixtureTool('test_embedded_resource'),
  'tools-call-mixed-content': fixtureTool('test_multiple_content_types'),
  'tools-call-with-logging': fixtureTool('test_tool_with_logging'),
  'tools-call-error': fixtureTool('test_error_handling'),
  'tools-call-with-progress': fixtureTool('test_tool_with_progress'),
  'tools-call-sampling': fixtureTool('test_sampling'),
  'tools-call-elicitation': fixtureTool('test_elicitation'),
  'json-schema-2020-12': fixtureTool('json_schema_2020_12_tool'),
  'elicitation-sep1034-defaults': fixtureTool('test_elicitation_sep1034_defaults'),
  'elicitation-sep1330-enums': fixtureTool('test_elicitation_sep1330_enums'),
  'resources-read-text': `reads the suite's fixture resource test://static-text`,
  'resources-read-binary': `reads the suite's fixture resource test://static-binary`,
  'resources-templates-read': `reads the suite's fixture template test://template/{id}/data`,
  'prompts-list': 'lists prompts; backburner serves no prompts (the method answers -32601, as it should)',
  'prompts-get-simple': fixturePrompt('test_simple_prompt'),
  'prompts-get-with-args': fixturePrompt('test_prompt_with_arguments'),
  'prompts-get-embedded-resource': fixturePrompt('test_prompt_with_embedded_resource'),
  'prompts-get-with-image': fixturePrompt('test_prompt_with_image'),
};
