export const BEGIN: string;
export const END: string;
export function renderTable(
  commands: Record<string, { needs: readonly string[]; optional?: readonly string[]; guided?: boolean }>,
  features: ReadonlyArray<{ id: string; title: string; public: boolean; console?: string }>,
  verdict: (command: string) => 'works' | 'guided' | 'not available',
): string;
export function withTable(readme: string, table: string): string;
