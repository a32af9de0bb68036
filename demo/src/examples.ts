/** The example agent programs behind the example buttons (the first one fills the editor at load). */
import quickLook from './examples/quick_look.py?raw';
import summariseSales from './examples/summarise_sales.py?raw';
import files from './examples/files.py?raw';
import exception from './examples/exception.py?raw';
import runawayLoop from './examples/runaway_loop.py?raw';
import slowTool from './examples/slow_tool.py?raw';

export interface Example {
  /** Stable id, used as the button's test id (`example-<id>`). */
  id: string;
  label: string;
  code: string;
}

export const EXAMPLES: Example[] = [
  { id: 'quick-look', label: 'Quick look', code: quickLook },
  { id: 'summarise-sales', label: 'Summarise sales', code: summariseSales },
  { id: 'files', label: 'Files', code: files },
  { id: 'exception', label: 'Exception', code: exception },
  { id: 'runaway-loop', label: 'Runaway loop', code: runawayLoop },
  { id: 'slow-tool', label: 'Slow tool', code: slowTool },
];
