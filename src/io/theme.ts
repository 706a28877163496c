import type { IO } from './streams.js';

/** Colour only on a terminal, never with NO_COLOR or --no-color. */
export function colorEnabled(io: IO, flag: boolean): boolean {
  if (!flag) return false;
  if (io.env.NO_COLOR !== undefined && io.env.NO_COLOR !== '') return false;
  if (io.env.FORCE_COLOR && io.env.FORCE_COLOR !== '0') return true;
  return !!io.stdout.isTTY && io.env.TERM !== 'dumb';
}

type Style = (text: string) => string;

/** The few styles the output uses. */
export interface Theme {
  bold: Style;
  green: Style;
  yellow: Style;
  red: Style;
  dim: Style;
}

// Basic 16-colour SGR codes, the level every colour terminal understands: no colour library to load.
const CODES: Record<keyof Theme, [open: number, close: number]> = {
  bold: [1, 22],
  dim: [2, 22],
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
};

function style(open: number, close: number): Style {
  const o = `\u001b[${open}m`;
  const c = `\u001b[${close}m`;
  return (text) => {
    if (text === '') return text;
    // A nested style's close would end this one too, and a terminal may reset at a line break.
    const body = text
      .split(c)
      .join(c + o)
      .replace(/\r?\n/g, (nl) => `${c}${nl}${o}`);
    return `${o}${body}${c}`;
  };
}

const plain: Style = (text) => text;

export function makeTheme(enabled: boolean): Theme {
  const theme = {} as Theme;
  for (const [name, [open, close]] of Object.entries(CODES) as Array<[keyof Theme, [number, number]]>)
    theme[name] = enabled ? style(open, close) : plain;
  return theme;
}
