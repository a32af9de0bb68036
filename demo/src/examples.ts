/** The example programs of the editor (the first one fills it on a first visit). */
import exception from './examples/exception.py?raw';
import files from './examples/files.py?raw';
import longBuiltin from './examples/long_builtin.py?raw';
import persistentContext from './examples/persistent_context.py?raw';
import quickLook from './examples/quick_look.py?raw';
import runawayLoop from './examples/runaway_loop.py?raw';
import slowTool from './examples/slow_tool.py?raw';
import summariseSales from './examples/summarise_sales.py?raw';

/** One example: its id is the test id of its button (`example-<id>`). */
export interface Example {
  id: string;
  label: string;
  code: string;
}

/**
 * The examples, in the order of their buttons.
 *
 * @example
 * ```ts
 * editor.replace(EXAMPLES[0].code)
 * ```
 */
export const EXAMPLES: Example[] = [
  { id: 'quick-look', label: 'Quick look', code: quickLook },
  { id: 'summarise-sales', label: 'Summarise sales', code: summariseSales },
  { id: 'files', label: 'Files', code: files },
  { id: 'persistent-context', label: 'Context', code: persistentContext },
  { id: 'exception', label: 'Exception', code: exception },
  { id: 'slow-tool', label: 'Slow tool', code: slowTool },
  { id: 'runaway-loop', label: 'Runaway loop', code: runawayLoop },
  { id: 'long-builtin', label: 'Long builtin', code: longBuiltin },
];
