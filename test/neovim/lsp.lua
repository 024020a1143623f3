-- Drives the language server from Neovim's built-in LSP client with the
-- configuration docs/editors.md gives users (test/neovim/config.lua), and
-- prints what the server answered as one JSON object on stdout. Run by
-- test/neovim.test.ts:
--
--   nvim --headless -u NONE -i NONE -n -c 'luafile test/neovim/lsp.lua'
--
-- Input comes from the environment:
--   LIBVIRT_DOMAIN_XML_SERVER, _SNAPSHOT, _VERSION  read by config.lua
--   LDX_CONFIG    path of config.lua
--   LDX_FILE      the domain XML file to open
--   LDX_LINE, LDX_CHARACTER  0-based position to request completion at
--   LDX_TOPOLOGY  when "1", also send the libvirtDomainXml/topology request
--   LDX_IMMEDIATE when "1", ask for completion as soon as the client is attached
--                 and report the first diagnostics published, whenever they come
--                 (output: { completion, first })
--
-- Output: { hostStatus, diagnostics = <publishDiagnostics params>,
--           completion = [labels], codeActions = [titles], topology?, errors = [..] }

local out = { errors = {} }
local function fail(msg) table.insert(out.errors, msg) end

local function main()
  local file = assert(os.getenv('LDX_FILE'), 'LDX_FILE is not set')
  local line = tonumber(os.getenv('LDX_LINE') or '0')
  local character = tonumber(os.getenv('LDX_CHARACTER') or '0')
  local uri = vim.uri_from_fname(file)

  -- Listen in on the global handlers, which the configuration leaves alone.
  local host_status = nil
  local after_host = nil
  local first = nil
  local publish = vim.lsp.handlers['textDocument/publishDiagnostics']
  vim.lsp.handlers['textDocument/publishDiagnostics'] = function(err, result, ctx, config)
    if result.uri == uri and first == nil then first = result end
    -- Diagnostics published before the host was read lack the host checks: wait for one after.
    if result.uri == uri and host_status ~= nil then after_host = result end
    return publish(err, result, ctx, config)
  end
  vim.lsp.handlers['libvirtDomainXml/hostStatus'] = function(_, result)
    host_status = result
    after_host = nil
  end

  dofile(assert(os.getenv('LDX_CONFIG'), 'LDX_CONFIG is not set'))

  vim.cmd('edit ' .. vim.fn.fnameescape(file))
  local bufnr = vim.api.nvim_get_current_buf()
  -- `-u NONE` turns filetype detection off; setting it runs the configuration's FileType autocmd.
  vim.bo[bufnr].filetype = 'xml'

  -- A client counts as attached once it has initialized.
  local client = nil
  vim.wait(10000, function()
    for _, c in pairs(vim.lsp.buf_get_clients(bufnr)) do if c.name == 'libvirt-domain-xml' then client = c end end
    return client ~= nil
  end, 20)
  if not client then return fail('the configuration attached no libvirt-domain-xml client within 10 s') end

  if os.getenv('LDX_IMMEDIATE') == '1' then
    -- What a user who types at once sees: no waiting for the host status or any diagnostics first.
    local res = client.request_sync('textDocument/completion', { textDocument = { uri = uri }, position = { line = line, character = character } }, 10000, bufnr)
    if not res or res.err then
      fail('completion failed: ' .. vim.inspect(res and res.err))
    else
      local items = res.result and (res.result.items or res.result) or {}
      out.completion = {}
      for _, item in ipairs(items) do table.insert(out.completion, item.label) end
    end
    if not vim.wait(20000, function() return first ~= nil end, 20) then fail('no diagnostics within 20 s') end
    out.first = first
    local id = client.id
    vim.lsp.stop_client(id)
    vim.wait(5000, function() return vim.lsp.get_client_by_id(id) == nil end, 20)
    return
  end

  if not vim.wait(20000, function() return after_host ~= nil end, 20) then
    fail('no diagnostics after the host status within 20 s')
  end
  out.hostStatus = host_status
  out.diagnostics = after_host

  local textDocument = { uri = uri }
  local res = client.request_sync('textDocument/completion', { textDocument = textDocument, position = { line = line, character = character } }, 10000, bufnr)
  if not res or res.err then
    fail('completion failed: ' .. vim.inspect(res and res.err))
  else
    local items = res.result and (res.result.items or res.result) or {}
    out.completion = {}
    for _, item in ipairs(items) do table.insert(out.completion, item.label) end
  end

  local last = vim.api.nvim_buf_line_count(bufnr)
  local whole = { start = { line = 0, character = 0 }, ['end'] = { line = last, character = 0 } }
  res = client.request_sync('textDocument/codeAction', {
    textDocument = textDocument, range = whole,
    context = { diagnostics = (after_host and after_host.diagnostics) or {} },
  }, 10000, bufnr)
  if not res or res.err then
    fail('codeAction failed: ' .. vim.inspect(res and res.err))
  else
    out.codeActions = {}
    for _, action in ipairs(res.result or {}) do table.insert(out.codeActions, action.title) end
  end

  if os.getenv('LDX_TOPOLOGY') == '1' then
    res = client.request_sync('libvirtDomainXml/topology', { uri = uri }, 10000, bufnr)
    if not res or res.err then fail('topology failed: ' .. vim.inspect(res and res.err)) else out.topology = res.result end
  end

  local id = client.id
  vim.lsp.stop_client(id)
  vim.wait(5000, function() return vim.lsp.get_client_by_id(id) == nil end, 20)
end

local ok, err = pcall(main)
if not ok then fail('script error: ' .. tostring(err)) end
io.stdout:write(vim.fn.json_encode(out) .. '\n')
io.stdout:flush()
vim.cmd('qa!')
