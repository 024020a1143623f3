-- libvirt-domain-xml in Neovim 0.7 or later, without plugins: one server for
-- every XML buffer (it ignores XML files whose root is not <domain>).
local env = vim.env
local server = env.LIBVIRT_DOMAIN_XML_SERVER or vim.fn.expand('~/src/libvirt-domain-xml/dist/server.js')
local settings = {
  libvirtDomainXml = {
    host = { snapshot = env.LIBVIRT_DOMAIN_XML_SNAPSHOT or '' }, -- '' reads this machine's /sys
    libvirtVersion = env.LIBVIRT_DOMAIN_XML_VERSION or '',       -- '' takes the local virsh's version
  },
}
local client_id

vim.api.nvim_create_autocmd('FileType', {
  pattern = 'xml',
  callback = function(args)
    if not client_id or vim.lsp.client_is_stopped(client_id) then
      client_id = vim.lsp.start_client({
        name = 'libvirt-domain-xml',
        cmd = { 'node', server, '--stdio' },
        root_dir = vim.fn.getcwd(),
        init_options = settings.libvirtDomainXml, -- read at start-up
        settings = settings,                      -- answers workspace/configuration later
      })
    end
    vim.lsp.buf_attach_client(args.buf, client_id)
  end,
})
