import assert from 'node:assert/strict';
import { hasControlCharacter } from '../../shared/text.js';

describe('hasControlCharacter', () => {
  const cases: [string, boolean, boolean][] = [
    ['batch_6f1c2a4e', false, false],
    ['é 😀 \u2028 \u202e', false, false],
    ['a\u0000b', true, true],
    ['\u0007', true, true],
    ['\u001b[2J', true, true],
    ['\u007f', true, true],
    ['line one\nline two\r\n\tindented', true, false],
    ['\u000b', true, true],
  ];
  for (const [text, strict, withLayout] of cases) {
    it(`${JSON.stringify(text)}: ${strict ? 'has' : 'has no'} control character${withLayout === strict ? '' : ', but only layout'}`, () => {
      assert.equal(hasControlCharacter(text), strict);
      assert.equal(hasControlCharacter(text, { allowLayout: true }), withLayout);
    });
  }
});
