// Starts `permit0 lsp` for .p0 files. See docs/editors.md.
const vscode = require('vscode');
const { LanguageClient } = require('vscode-languageclient/node');

let client;

exports.activate = function activate() {
  const command = vscode.workspace.getConfiguration('permit0').get('path') || 'permit0';
  client = new LanguageClient(
    'permit0',
    'permit0',
    { command, args: ['lsp'] },
    { documentSelector: [{ scheme: 'file', language: 'p0' }, { scheme: 'untitled', language: 'p0' }] }
  );
  return client.start();
};

exports.deactivate = function deactivate() {
  return client ? client.stop() : undefined;
};
